// Small enhancements; every page works without them.
document.addEventListener("DOMContentLoaded", () => {
  for (const select of document.querySelectorAll("select[data-autosubmit]")) {
    select.addEventListener("change", () => select.form.submit());
  }
  // A new API token is shown once: focusing its field selects it for copying.
  for (const field of document.querySelectorAll("input[data-select-on-focus]")) {
    field.addEventListener("focus", () => field.select());
  }
  const player = document.querySelector("audio[data-call-player]");
  if (player) {
    // Timestamps and evidence quotes carry data-seek (seconds): they move the player there.
    document.addEventListener("click", (event) => {
      const target = event.target.closest("[data-seek]");
      if (!target) return;
      event.preventDefault();
      player.currentTime = Number(target.dataset.seek);
      player.play().catch(() => {});
    });
  }
});
