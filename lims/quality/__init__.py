"""ISO/IEC 17025 and national-criteria evidence, nonconformities, competence and training."""
