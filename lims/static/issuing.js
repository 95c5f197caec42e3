// Polls a batch issue's progress and updates the bar until the batch has finished.
(function () {
  "use strict";
  var box = document.getElementById("batch-progress");
  if (!box) { return; }
  var bar = box.querySelector("progress");
  function show(data) {
    bar.max = data.total;
    bar.value = data.done + data.failed;
    box.querySelector("[data-testid=batch-done]").textContent = data.done;
    box.querySelector("[data-testid=batch-failed]").textContent = data.failed;
    box.querySelector("[data-testid=batch-status]").textContent = data.status;
    var list = box.querySelector("[data-testid=batch-errors]");
    list.textContent = "";
    (data.errors || []).forEach(function (error) {
      var item = document.createElement("li");
      item.textContent = error.job_id + ": " + error.message;
      list.appendChild(item);
    });
  }
  function poll() {
    fetch(box.dataset.url, { headers: { Accept: "application/json" }, credentials: "same-origin" })
      .then(function (response) { return response.json(); })
      .then(function (data) {
        show(data);
        if (data.status !== "finished") { window.setTimeout(poll, 1000); }
      })
      .catch(function () { window.setTimeout(poll, 3000); });
  }
  poll();
})();
