// Behaviour every page shares (the Content-Security-Policy allows no inline script, so pages declare it by data-*):
// a form with data-confirm asks before it is sent (every delete, and any save with a side effect to accept);
// a button with data-print prints the page.
(function () {
  "use strict";
  document.addEventListener("submit", function (event) {
    var form = event.target;
    var submitter = event.submitter;
    var question = (submitter && submitter.dataset.confirm) || form.dataset.confirm;
    if (question && !window.confirm(question)) {
      event.preventDefault();
    }
  });
  document.addEventListener("click", function (event) {
    var button = event.target.closest("[data-print]");
    if (button) {
      window.print();
    }
  });
})();
