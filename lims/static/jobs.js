// The request form. Each row's instrument is found by typing (serial, name, enterprise, without accents, or the code
// of its label, typed or scanned): the picker asks the server and shows at most 20 answers. A picked instrument says
// which procedures its type's catalogue entry names and the service it usually gets; the row then offers only those
// procedures (and, once a service is chosen, only those of its kind). Rows are added on demand. The server checks
// everything again.
(function () {
  "use strict";
  var form = document.getElementById("request-form");
  if (!form) {
    return;
  }
  var rows = form.querySelector("[data-role=rows]");
  var template = document.getElementById("request-row-template");
  var organisation = form.querySelector("#organisation_id");

  function applicable(row) {
    var instrument = row.querySelector("[data-role=instrument]");
    var service = row.querySelector("[data-role=service]");
    var procedure = row.querySelector("[data-role=procedure]");
    var note = row.querySelector("[data-role=procedure-note]");
    var chosen = instrument.value && instrument.value !== "0";
    var keys = chosen ? (instrument.dataset.procedures || "").split(" ").filter(Boolean) : null;
    var serviceOption = service.options[service.selectedIndex];
    var kind = serviceOption ? serviceOption.dataset.kind : undefined;
    var offered = [];
    Array.prototype.forEach.call(procedure.options, function (option) {
      if (!option.value) {
        return;
      }
      var fits = (keys === null || keys.indexOf(option.value) >= 0) && (!kind || option.dataset.kind === kind);
      option.disabled = !fits;
      option.hidden = !fits;
      if (fits) {
        offered.push(option);
      }
    });
    var current = procedure.options[procedure.selectedIndex];
    if (current && current.value && current.disabled) {
      procedure.value = "";
    }
    if (keys !== null && offered.length === 1 && !procedure.value) {
      procedure.value = offered[0].value;
    }
    note.classList.toggle("d-none", keys === null || keys.length > 0);
  }

  function pick(row, choice) {
    var instrument = row.querySelector("[data-role=instrument]");
    var service = row.querySelector("[data-role=service]");
    instrument.value = String(choice.id);
    instrument.dataset.procedures = choice.procedures.join(" ");
    row.querySelector("[data-role=instrument-search]").value = choice.label;
    if (organisation && organisation.value !== String(choice.organisation_id)) {
      organisation.value = String(choice.organisation_id);
    }
    service.value = choice.service; // the usual service of this instrument; the receiver may change it
    row.querySelector("[data-role=instrument-results]").classList.add("d-none");
    applicable(row);
  }

  function show(row, found) {
    var box = row.querySelector("[data-role=instrument-results]");
    box.textContent = "";
    if (!found.length) {
      var none = document.createElement("div");
      none.className = "list-group-item small text-muted";
      none.textContent = form.dataset.nothingFound;
      box.appendChild(none);
    }
    found.forEach(function (choice, index) {
      var button = document.createElement("button");
      button.type = "button";
      button.className = "list-group-item list-group-item-action small";
      button.textContent = choice.label + " (" + choice.code + ")";
      button.dataset.testid = "pick-" + index;
      button.addEventListener("click", function () {
        pick(row, choice);
      });
      box.appendChild(button);
    });
    box.classList.remove("d-none");
    row.pickerAnswers = found;
  }

  function search(row) {
    var typed = row.querySelector("[data-role=instrument-search]").value.trim();
    var instrument = row.querySelector("[data-role=instrument]");
    instrument.value = "0";
    instrument.dataset.procedures = "";
    applicable(row);
    var sequence = (row.pickerSequence || 0) + 1;
    row.pickerSequence = sequence;
    if (!typed) {
      row.querySelector("[data-role=instrument-results]").classList.add("d-none");
      return Promise.resolve([]);
    }
    var url = form.dataset.pickerUrl + "?q=" + encodeURIComponent(typed);
    if (organisation && organisation.value) {
      url += "&organisation_id=" + encodeURIComponent(organisation.value);
    }
    return fetch(url, { headers: { Accept: "application/json" }, credentials: "same-origin" })
      .then(function (response) {
        return response.json();
      })
      .then(function (data) {
        if (sequence === row.pickerSequence) {
          show(row, data.instruments);
        }
        return data.instruments;
      });
  }

  function wire(row) {
    var input = row.querySelector("[data-role=instrument-search]");
    var timer = null;
    applicable(row);
    input.addEventListener("input", function () {
      window.clearTimeout(timer);
      timer = window.setTimeout(function () {
        search(row);
      }, 200);
    });
    // A USB scanner types the label's code and presses Enter: pick the one instrument it names.
    input.addEventListener("keydown", function (event) {
      if (event.key !== "Enter") {
        return;
      }
      event.preventDefault();
      window.clearTimeout(timer);
      search(row).then(function (found) {
        if (found.length === 1) {
          pick(row, found[0]);
        }
      });
    });
    row.addEventListener("change", function (event) {
      if (event.target.dataset.role === "service") {
        applicable(row);
      }
    });
  }

  // The enterprise chosen first narrows the picker; an instrument picked first chooses the enterprise.
  var preset = organisation && Array.prototype.some.call(organisation.options, function (option) {
    return option.defaultSelected;
  });
  if (organisation && !preset && organisation.options.length > 1) {
    organisation.selectedIndex = -1;
  }
  rows.querySelectorAll("[data-request-row]").forEach(wire);

  form.querySelector("[data-add-row]").addEventListener("click", function () {
    var count = rows.querySelectorAll("[data-request-row]").length;
    if (count >= Number(form.dataset.maxRows)) {
      return;
    }
    var html = template.innerHTML.split("__index__").join(String(count));
    rows.insertAdjacentHTML("beforeend", html);
    var row = rows.lastElementChild;
    wire(row);
    row.querySelector("[data-role=instrument-search]").focus();
  });
})();

// Live result of a measurement record: posts the form to /jobs/<id>/preview (which saves nothing) as the technician
// types, and shows the decision, the result tables and every uncertainty budget the procedure returned.
(function () {
  "use strict";
  var form = document.getElementById("record-form");
  var panel = document.getElementById("preview");
  if (!form || !panel) {
    return;
  }
  // The words come from the catalogue, in the page's language: the template writes them into #jobs-words.
  var wordsBlock = document.getElementById("jobs-words");
  var words = wordsBlock ? JSON.parse(wordsBlock.textContent) : {};
  var english = panel.dataset.lang === "en";
  var statusLine = document.getElementById("preview-status");
  var body = document.getElementById("preview-body");
  var timer = null;
  var sequence = 0;

  function text(key) {
    return words[key] || key;
  }

  function element(tag, className, content) {
    var node = document.createElement(tag);
    if (className) {
      node.className = className;
    }
    if (content !== undefined && content !== null) {
      node.textContent = content;
    }
    return node;
  }

  function shown(value) {
    return value === null || value === undefined ? "" : String(value);
  }

  function table(headings, rows, testid) {
    var wrapper = element("table", "table table-sm small mb-2");
    if (testid) {
      wrapper.dataset.testid = testid;
    }
    var head = element("tr");
    headings.forEach(function (heading) {
      head.appendChild(element("th", null, heading));
    });
    wrapper.appendChild(element("thead")).appendChild(head);
    var tbody = wrapper.appendChild(element("tbody"));
    rows.forEach(function (cells) {
      var tr = tbody.appendChild(element("tr"));
      cells.forEach(function (cell) {
        tr.appendChild(element("td", null, shown(cell)));
      });
    });
    return wrapper;
  }

  function render(data) {
    body.replaceChildren();
    var result = data.result;
    var decision = element("p", "fs-5 mb-2");
    decision.dataset.testid = "preview-decision";
    if (data.passed === null || data.passed === undefined) {
      decision.textContent = text("calibration_no_decision");
    } else {
      decision.textContent = data.passed ? text("decision_pass") : text("decision_fail");
      decision.className += data.passed ? " text-success" : " text-danger";
    }
    body.appendChild(decision);
    if (result.decision_rule) {
      body.appendChild(element("p", "small text-muted", english ? result.decision_rule.text_en : result.decision_rule.text_vi));
    }
    (data.environment_problems || []).forEach(function (problem) {
      body.appendChild(element("div", "alert alert-warning py-1 small", problem.message));
    });
    // Numbers come written by the server's one formatter (data.printed): decimal comma, digits from the resolution.
    (result.tables || []).forEach(function (resultTable, index) {
      if (!resultTable.rows.length) {
        return;
      }
      body.appendChild(element("h3", "h6 small mt-2", english ? resultTable.title_en : resultTable.title_vi));
      var headings = resultTable.columns.map(function (column) {
        return english ? column.heading_en : column.heading_vi;
      });
      body.appendChild(table(headings, data.printed.tables[index], "preview-table-" + resultTable.key));
    });
    data.printed.budgets.forEach(function (budget) {
      var title = text("budget") + (budget.path ? " — " + budget.path : "");
      body.appendChild(element("h3", "h6 small mt-2", title));
      body.appendChild(
        table(
          [text("quantity"), text("value"), "u", "c", "|c|·u", "ν"],
          budget.rows,
          "preview-budget"
        )
      );
      if (budget.expanded_uncertainty) {
        body.appendChild(
          element("p", "small", "U = " + budget.expanded_uncertainty + (budget.coverage_factor ? ", k = " + budget.coverage_factor : ""))
        );
      }
    });
  }

  function showError(message) {
    body.replaceChildren();
    var alert = element("div", "alert alert-info py-1 small", message);
    alert.dataset.testid = "preview-error";
    body.appendChild(alert);
  }

  function preview() {
    var mine = ++sequence;
    statusLine.textContent = text("computing");
    fetch(form.dataset.previewUrl, {
      method: "POST",
      body: new FormData(form),
      headers: { Accept: "application/json" },
      credentials: "same-origin",
    })
      .then(function (response) {
        return response.json().then(function (data) {
          return { ok: response.ok, data: data };
        });
      })
      .then(function (answer) {
        if (mine !== sequence) {
          return; // a later keystroke's answer will replace this one
        }
        if (answer.ok && answer.data.complete === false) {
          // not a refusal: something required is not typed yet; say what, by its label
          statusLine.textContent = statusLine.dataset.incomplete + " " + (answer.data.label || "");
          body.replaceChildren();
        } else if (answer.ok) {
          statusLine.textContent = text("computed");
          render(answer.data);
        } else {
          statusLine.textContent = text("cannot_compute");
          showError((answer.data.label ? answer.data.label + ": " : "") + answer.data.error);
        }
      })
      .catch(function () {
        statusLine.textContent = text("unreachable");
      });
  }

  function schedule() {
    window.clearTimeout(timer);
    timer = window.setTimeout(preview, 400);
  }

  // The reference weight's values from the chosen standard's certificate (GET data-reference-url): asked again
  // when a standard, the day or the test weight's nominal value changes. An input the technician has typed over is
  // never replaced; a value filled earlier that the certificate no longer gives is cleared.
  var referenceNote = document.getElementById("note-obs.reference");
  var referenceNames = ["conventional_mass", "expanded_uncertainty", "coverage_factor", "density", "density_uncertainty"];
  var referenceSequence = 0;

  function referenceInput(name) {
    return form.elements.namedItem("obs.reference." + name);
  }

  function untouched(input) {
    if (input.dataset.prefilled !== undefined) {
      return input.value === input.dataset.prefilled;
    }
    return input.value === "" || (!form.dataset.revision && input.value === input.defaultValue);
  }

  function nominals() {
    var cycle = form.elements.namedItem("obs.cycle");
    var names = [];
    if (cycle && cycle.value === "AB1...BnA") {
      for (var index = 0; form.elements.namedItem("obs.weights." + index + ".nominal"); index++) {
        names.push("obs.weights." + index + ".nominal");
      }
    } else {
      names.push("obs.weight.nominal");
    }
    return names
      .map(function (name) {
        var input = form.elements.namedItem(name);
        return input ? input.value.trim() : "";
      })
      .filter(function (value) {
        return value !== "";
      });
  }

  function fillReference() {
    var mine = ++referenceSequence;
    var query = new URLSearchParams();
    form.querySelectorAll("input[name=standards]:checked").forEach(function (box) {
      query.append("standards", box.value);
    });
    var day = form.elements.namedItem("measured_on");
    if (day && day.value) {
      query.append("measured_on", day.value);
    }
    nominals().forEach(function (nominal) {
      query.append("nominal", nominal);
    });
    fetch(form.dataset.referenceUrl + "?" + query.toString(), {
      headers: { Accept: "application/json" },
      credentials: "same-origin",
    })
      .then(function (response) {
        return response.ok ? response.json() : null;
      })
      .then(function (data) {
        if (!data || mine !== referenceSequence) {
          return;
        }
        referenceNames.forEach(function (name) {
          var input = referenceInput(name);
          if (!input || !untouched(input)) {
            return;
          }
          var given = data.values[name];
          if (given !== undefined && given !== null) {
            input.value = String(given);
            input.dataset.prefilled = input.value;
          } else if (input.dataset.prefilled !== undefined) {
            input.value = "";
            delete input.dataset.prefilled;
          }
        });
        referenceNote.textContent = data.note;
        referenceNote.classList.toggle("d-none", !data.note);
        schedule();
      })
      .catch(function () {
        // the form still works by hand; the next change asks again
      });
  }

  if (referenceNote && form.dataset.referenceUrl) {
    if (form.dataset.prefilled) {
      referenceNames.forEach(function (name) {
        var input = referenceInput(name);
        if (input && input.value !== "") {
          input.dataset.prefilled = input.value;
        }
      });
    }
    form.addEventListener("change", function (event) {
      var name = event.target.name || "";
      if (name === "standards" || name === "measured_on" || name === "obs.cycle" || /^obs\.weights?(\.\d+)?\.nominal$/.test(name)) {
        fillReference();
      }
    });
  }

  // A standard out of service, or past its due date on the measurement day, cannot be ticked (the save refuses it
  // too); the day can change, so the due dates are compared again when it does.
  function markStandards() {
    var day = form.elements.namedItem("measured_on");
    if (!day || !day.value) {
      return; // the save measures on today: the page's marks were made for it
    }
    form.querySelectorAll("input[name=standards]").forEach(function (box) {
      var overdue = !box.dataset.dueOn || box.dataset.dueOn < day.value;
      var outOfService = box.dataset.inService !== "1";
      box.disabled = overdue || outOfService;
      if (box.disabled) {
        box.checked = false;
      }
      var label = form.querySelector("label[for='" + box.id + "']");
      label.classList.toggle("text-muted", box.disabled);
      label.querySelector("[data-problem=overdue]").classList.toggle("d-none", outOfService || !overdue);
    });
  }

  form.addEventListener(
    "change",
    function (event) {
      if (event.target.name === "measured_on") {
        markStandards();
      }
    },
    true // before the reference values are asked for, so they follow the boxes still ticked
  );
  form.addEventListener("input", schedule);
  form.addEventListener("change", schedule);
  if (form.dataset.previewNow) {
    preview(); // a record being revised, or a refused save shown again: its values are already typed
  }
})();
