// Regie: small enhancements on top of pages that fully work without JavaScript.
// Autosave of a step (honest status, retry, nothing lost), a live character count,
// focus on the error summary, and a warning before leaving with unsaved input.
"use strict";

(function () {
  const SAVE_DELAY_MS = 2000;
  const RETRY_MS = 15000;

  function focusErrorSummary() {
    const summary = document.querySelector("[data-foutsamenvatting]");
    if (summary) summary.focus();
  }

  function characterCounters() {
    document.querySelectorAll("textarea[data-teller]").forEach((area) => {
      const counter = document.getElementById(area.dataset.teller);
      const max = Number(area.getAttribute("maxlength"));
      if (!counter || !max) return;
      let timer = null;
      const update = () => {
        const left = max - area.value.length;
        counter.textContent = left >= 0
          ? `U kunt nog ${left} tekens typen.`
          : `U hebt ${-left} tekens te veel.`;
      };
      update();
      area.addEventListener("input", () => {
        clearTimeout(timer);
        timer = setTimeout(update, 400);
      });
    });
  }

  function autosave(form) {
    const status = form.querySelector("[data-status]");
    const basis = form.querySelector("[data-basis]");
    const sleutel = form.querySelector("[data-opslagsleutel]");
    let dirty = false;
    let saving = false;
    let timer = null;

    const say = (text) => { if (status) status.textContent = text; };

    const schedule = (delay) => {
      clearTimeout(timer);
      timer = setTimeout(save, delay);
    };

    async function save() {
      if (!dirty || saving) return;
      saving = true;
      dirty = false;
      say("Bezig met opslaan…");
      const data = new FormData(form);
      data.set("actie", "opslaan");
      try {
        const response = await fetch(form.action, {
          method: "POST",
          body: data,
          headers: { "X-Regie-Autosave": "1", "Accept": "application/json" },
          credentials: "same-origin",
        });
        if (response.ok) {
          const result = await response.json();
          if (basis) basis.value = result.revisie;
          if (sleutel) sleutel.value = result.sleutel;
          say(`Opgeslagen om ${result.om}`);
        } else if (response.status === 409) {
          dirty = true;
          say("Niet opgeslagen — iemand anders heeft deze stap intussen opgeslagen. Kies Opslaan om beide versies samen te voegen.");
        } else if (response.status === 422) {
          dirty = true;
          say("Niet opgeslagen — controleer de invoer en kies Opslaan om te zien wat er niet klopt.");
        } else if (response.status === 401 || response.status === 303 || response.redirected) {
          dirty = true;
          say("Niet opgeslagen — uw sessie is verlopen. Meld u opnieuw aan in een nieuw tabblad; uw invoer blijft hier staan en wordt daarna opgeslagen.");
          schedule(RETRY_MS);
        } else {
          dirty = true;
          say("Niet opgeslagen — er ging iets mis. We proberen het zo opnieuw.");
          schedule(RETRY_MS);
        }
      } catch (error) {
        dirty = true;
        say("Niet opgeslagen — geen verbinding. We proberen het opnieuw zodra er weer verbinding is.");
        schedule(RETRY_MS);
      } finally {
        saving = false;
      }
    }

    const changed = () => { dirty = true; schedule(SAVE_DELAY_MS); };
    form.addEventListener("input", changed);
    form.addEventListener("change", changed);
    form.addEventListener("submit", () => { dirty = false; clearTimeout(timer); });
    window.addEventListener("online", () => schedule(0));
    window.addEventListener("beforeunload", (event) => {
      if (dirty || saving) {
        event.preventDefault();
        event.returnValue = "";
      }
    });
  }

  // Warn before the session ends, with an announced countdown and a button to continue
  // (WCAG 2.2.1): an MDO can last longer than a session.
  function sessionWarning() {
    const expires = Number(document.body.dataset.sessieVerloopt || 0) * 1000;
    const box = document.querySelector("[data-sessiewaarschuwing]");
    const text = document.querySelector("[data-sessietekst]");
    const form = document.querySelector("[data-sessieverlengen]");
    if (!expires || !box || !text || !form) return;
    let deadline = expires;
    let lastMinute = null;
    const tick = () => {
      const left = deadline - Date.now();
      if (left > 5 * 60 * 1000) { box.hidden = true; lastMinute = null; return; }
      box.hidden = false;
      const minutes = Math.max(0, Math.ceil(left / 60000));
      if (minutes !== lastMinute) {
        lastMinute = minutes;
        text.textContent = left > 0
          ? `Uw sessie verloopt over ${minutes} minuut${minutes === 1 ? "" : "en"}. Wat u invult blijft bewaard.`
          : "Uw sessie is verlopen. Wat u hebt ingevuld staat nog op deze pagina; meld u opnieuw aan in een nieuw tabblad.";
      }
    };
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      try {
        const response = await fetch(form.action, {
          method: "POST", body: new FormData(form), credentials: "same-origin",
          headers: { "Accept": "application/json" },
        });
        if (response.ok) {
          const answer = await response.json();
          deadline = answer.verloopt * 1000;
          tick();
          text.textContent = answer.verlengd
            ? "Uw sessie is verlengd."
            : "Uw sessie kan niet langer worden verlengd. Wat u invult blijft bewaard; meld u na afloop opnieuw aan in een nieuw tabblad.";
        }
      } catch (error) {
        text.textContent = "Verlengen lukte niet: geen verbinding. Probeer het zo opnieuw.";
      }
    });
    tick();
    setInterval(tick, 15000);
  }

  // MDO mode: arrow keys move between steps when no field has focus (projector, keyboard).
  function meetingKeys() {
    if (!document.body.classList.contains("regie-mdo")) return;
    document.addEventListener("keydown", (event) => {
      const tag = (event.target.tagName || "").toLowerCase();
      if (["input", "textarea", "select", "button"].includes(tag) || event.altKey || event.ctrlKey) return;
      const rel = event.key === "ArrowRight" ? "next" : event.key === "ArrowLeft" ? "prev" : null;
      const link = rel && document.querySelector(`a[rel="${rel}"]`);
      if (link) window.location.assign(link.href);
    });
  }

  document.addEventListener("DOMContentLoaded", () => {
    sessionWarning();
    meetingKeys();
    focusErrorSummary();
    characterCounters();
    document.querySelectorAll("form[data-autosave]").forEach(autosave);
  });
})();
