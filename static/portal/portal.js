// Small progressive enhancements; every page works without them.
(function () {
  "use strict";

  // Pop-ups (払い出し番号): a <dialog> swapped into #modal-root opens as a modal.
  document.addEventListener("htmx:afterSwap", function (event) {
    if (event.detail.target.id !== "modal-root") return;
    var dialog = event.detail.target.querySelector("dialog.modal");
    if (dialog && !dialog.open) dialog.showModal();
  });
  document.addEventListener("click", function (event) {
    var closer = event.target.closest("[data-close-dialog]");
    if (closer) closer.closest("dialog").close();
  });
  document.addEventListener("close", function (event) {
    if (event.target.matches && event.target.matches("dialog.modal")) event.target.remove();
  }, true);

  // CSV upload: show how far the upload is, then that the file is being checked.
  document.addEventListener("htmx:xhr:progress", function (event) {
    var form = event.target.closest && event.target.closest("[data-upload-progress]");
    if (!form || !event.detail.lengthComputable) return;
    var percent = Math.round((event.detail.loaded / event.detail.total) * 100);
    var bar = form.querySelector("progress");
    var text = form.querySelector(".upload-progress__text");
    bar.value = percent;
    text.textContent = percent < 100 ? form.dataset.textUploading + " " + percent + "%" : form.dataset.textChecking;
    if (percent >= 100) bar.removeAttribute("value");
  });

  // 申し込む: one click is enough (the server also refuses a second order).
  document.addEventListener("submit", function (event) {
    var button = event.target.querySelector("[data-once]");
    if (button) window.setTimeout(function () { button.disabled = true; }, 0);
  });

  // 付加機能: tabs per row or number, and O1–O3 applied as the customer ticks (the server checks too).
  function setupOptions(root) {
    root.querySelectorAll(".options-block").forEach(function (block) {
      var tabs = Array.prototype.slice.call(block.querySelectorAll("[role=tab]"));
      var panels = Array.prototype.slice.call(block.querySelectorAll("[role=tabpanel]"));
      function show(index) {
        tabs.forEach(function (tab, i) {
          tab.setAttribute("aria-selected", i === index ? "true" : "false");
          tab.tabIndex = i === index ? 0 : -1;
        });
        panels.forEach(function (panel, i) { panel.hidden = i !== index; });
      }
      tabs.forEach(function (tab, i) {
        tab.addEventListener("click", function (event) { event.preventDefault(); show(i); });
      });
      var withError = panels.findIndex(function (p) { return p.querySelector(".field-error"); });
      show(withError >= 0 ? withError : 0);
      // One row's switches sit in different tabs: grouped by data-row. 契約する is the value "1".
      var rows = {};
      block.querySelectorAll("[data-row]").forEach(function (el) {
        (rows[el.dataset.row] = rows[el.dataset.row] || {})[el.dataset.option] = el;
      });
      Object.keys(rows).forEach(function (key) {
        var mailbox = rows[key].message_box, notification = rows[key].notification, forwarding = rows[key].forwarding;
        function on(el) { return !!el && el.value === "1"; }
        function enforce() {
          if (!forwarding) return;  // O2: no forwarding on 050 numbers at all
          forwarding.disabled = !on(forwarding) && (on(mailbox) || on(notification));  // O1, O3
          mailbox.disabled = !on(mailbox) && on(forwarding);  // O3
          notification.disabled = !on(notification) && on(forwarding);  // O1
        }
        [mailbox, notification, forwarding].forEach(function (el) {
          if (el) el.addEventListener("change", enforce);
        });
        enforce();
      });
      // A number typed in means 契約する for its row.
      block.querySelectorAll("input[name$='-specific_number_notification'], input[name$='-forwarding_specific_number']")
        .forEach(function (input) {
          input.addEventListener("input", function () {
            var key = input.name.replace(/-(specific_number_notification|forwarding_specific_number)$/, "");
            var option = /notification$/.test(input.name) ? "notification" : "forwarding";
            var select = rows[key] && rows[key][option];
            if (select && input.value.trim() && !select.disabled && select.value !== "1") {
              select.value = "1";
              select.dispatchEvent(new Event("change"));
            }
          });
        });
    });
  }
  // Calendar: a click on a day the order can take fills the date field.
  document.addEventListener("click", function (event) {
    var cell = event.target.closest && event.target.closest("td[data-date]");
    var input = document.getElementById("id_date");
    if (cell && input) { input.value = cell.dataset.date; input.focus(); }
  });
  // Conditional fields (番号ポータビリティ): shown only where they apply; the server decides anyway.
  function setupConditional(root) {
    root.querySelectorAll("form[data-conditional]").forEach(function (form) {
      // "-holder=other": the field of this row (a formset's "port-3-holder"); "remaining=有": by name.
      function value(scope, name) {
        var selector = name.charAt(0) === "-" ? "[name$='" + name + "']" : "[name='" + name + "']";
        var checked = form.querySelector(selector + ":checked");
        if (checked) return checked.value;
        var field = scope.querySelector(selector) || form.querySelector(selector);
        return field && field.type !== "radio" ? field.value : "";
      }
      function update() {
        form.querySelectorAll("[data-when]").forEach(function (el) {
          var rule = el.dataset.when.split("=");
          var scope = el.closest("fieldset") || form;
          el.hidden = value(scope, rule[0]) !== rule[1];
        });
      }
      form.addEventListener("change", update);
      update();
    });
  }
  function setup() { setupOptions(document); setupConditional(document); }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", setup);
  } else {
    setup();
  }
})();
