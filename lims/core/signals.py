"""What a service tells the rest of the lab after it has written something: named signals, sent explicitly.

A service sends its signal after its flush, with the session, so a receiver in another domain writes in the same
transaction (and is rolled back with it). Receivers are connected by `create_app` (see lims/app.py), never by an
import's side effect.
"""

from blinker import Namespace

_lab = Namespace()

# sender: the IntermediateCheck just recorded; keyword: session
intermediate_check_recorded = _lab.signal("intermediate-check-recorded")
# sender: the StandardStatusChange just recorded; keyword: session
standard_status_changed = _lab.signal("standard-status-changed")
