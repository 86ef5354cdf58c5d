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
})();
