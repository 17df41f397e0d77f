/*
 * Experience step: the pre-assessment follows the period being typed.
 *
 * Progressive enhancement only: without this script, the pre-assessment is updated
 * after each saved period. When a field of the add-period form changes, the form is
 * posted (CSRF token included) to its data-preview-url; a 200 answer is the
 * pre-assessment fragment, rendered by the server, that replaces the aria-live
 * region named by data-preview-target. A 204 (the period is not complete or not
 * valid yet) puts back what the page showed for the saved periods.
 */
(function () {
  "use strict";

  var form = document.querySelector("form[data-preview-url][data-preview-target]");
  if (!form || !window.fetch || !window.FormData) {
    return;
  }
  var region = document.getElementById(form.getAttribute("data-preview-target"));
  if (!region) {
    return;
  }
  var saved = region.innerHTML;
  var url = form.getAttribute("data-preview-url");
  var timer = null;
  var latest = 0;

  function refresh() {
    var request = ++latest;
    fetch(url, {
      method: "POST",
      body: new FormData(form),
      credentials: "same-origin",
      headers: { "X-Requested-With": "XMLHttpRequest" }
    })
      .then(function (response) {
        if (response.status === 200) {
          return response.text();
        }
        return response.status === 204 ? saved : null;
      })
      .then(function (html) {
        // Only the answer to the latest change counts.
        if (html !== null && request === latest && region.innerHTML !== html) {
          region.innerHTML = html;
        }
      })
      .catch(function () {
        // Offline or server error: the page keeps what it shows.
      });
  }

  function schedule() {
    window.clearTimeout(timer);
    timer = window.setTimeout(refresh, 400);
  }

  form.addEventListener("change", schedule);
  form.addEventListener("input", schedule);
})();
