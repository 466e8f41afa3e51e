// A person's page: put the bans line (/bans/person/{id}) in its place, if there are any.
document.querySelectorAll("[data-bans-of]").forEach((slot) => {
  fetch(`/bans/person/${encodeURIComponent(slot.dataset.bansOf)}`, { credentials: "same-origin" })
    .then((r) => (r.ok ? r.text() : ""))
    .then((html) => {
      if (html.trim()) {
        slot.innerHTML = html;
        slot.hidden = false;
      }
    })
    .catch(() => {});
});
