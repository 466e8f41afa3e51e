// Murphy: small enhancements. Every page works without this file.
"use strict";

(function () {
  // Show only the places of the chosen site in the report form's place picker.
  function linkSiteToPlaces(form) {
    var site = form.querySelector("[data-site-select]");
    var picker = form.querySelector("[data-place-picker]");
    if (!site || !picker) return;
    var hint = form.querySelector("[data-tz-hint]");
    function sync() {
      var code = site.value;
      var option = site.selectedOptions[0];
      if (hint && option && option.getAttribute("data-tz")) hint.textContent = option.getAttribute("data-tz");
      var groups = picker.querySelectorAll("optgroup[data-site]");
      groups.forEach(function (group) {
        var mine = !code || group.getAttribute("data-site") === code;
        group.hidden = !mine;
        group.disabled = !mine;
      });
      var chosen = picker.selectedOptions[0];
      if (chosen && chosen.parentElement && chosen.parentElement.disabled) picker.value = "";
    }
    site.addEventListener("change", sync);
    sync();
  }

  // A form sends once: the button says so, and a second tap does nothing.
  function sendOnce(form) {
    form.addEventListener("submit", function (event) {
      if (form.dataset.sent === "1") {
        event.preventDefault();
        return;
      }
      form.dataset.sent = "1";
      var button = form.querySelector("button[type=submit]");
      if (button) {
        button.classList.add("is-busy");
        button.setAttribute("aria-busy", "true");
      }
    });
  }

  // The queue refreshes itself while nobody is typing and the tab is visible.
  function autoRefresh(list) {
    var seconds = parseInt(list.getAttribute("data-autorefresh"), 10);
    if (!seconds) return;
    window.setInterval(function () {
      var active = document.activeElement;
      var typing = active && /^(INPUT|SELECT|TEXTAREA)$/.test(active.tagName);
      if (!document.hidden && !typing) window.location.reload();
    }, seconds * 1000);
  }

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("form").forEach(function (form) {
      linkSiteToPlaces(form);
      if (form.method.toLowerCase() === "post") sendOnce(form);
    });
    document.querySelectorAll("[data-autorefresh]").forEach(autoRefresh);
    var tab = document.querySelector(".tabs [aria-current]");
    if (tab && tab.scrollIntoView) tab.scrollIntoView({ block: "nearest", inline: "nearest" });
    var problem = document.getElementById("problem");
    if (problem) problem.focus();
  });

  // Coming back through the history restores a page as it was: let its forms send again.
  window.addEventListener("pageshow", function (event) {
    if (!event.persisted) return;
    document.querySelectorAll("form[data-sent]").forEach(function (form) {
      delete form.dataset.sent;
      var button = form.querySelector("button[type=submit]");
      if (button) {
        button.classList.remove("is-busy");
        button.removeAttribute("aria-busy");
      }
    });
  });
})();
