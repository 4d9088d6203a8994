// Small enhancements; every page works without them.
document.addEventListener("DOMContentLoaded", () => {
  for (const select of document.querySelectorAll("select[data-autosubmit]")) {
    select.addEventListener("change", () => select.form.submit());
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
