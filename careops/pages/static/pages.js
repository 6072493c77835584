/* CareOps pages: optional enhancements. Every page works without this file.
 *
 * - Picking a day or a time swaps the picker in place (the same server-rendered
 *   HTML a link would load), without a page load.
 * - A form marked data-once cannot be sent twice by a double click.
 * - A signature is drawn on a canvas and sent as a PNG data URL.
 */
(function () {
  "use strict";

  function swapPicker(url, push) {
    var current = document.getElementById("picker");
    if (!current || !window.fetch || !window.DOMParser) { window.location.href = url; return; }
    current.setAttribute("aria-busy", "true");
    fetch(url, { credentials: "same-origin", headers: { "Accept": "text/html" } })
      .then(function (response) {
        if (!response.ok) { throw new Error(String(response.status)); }
        return response.text();
      })
      .then(function (html) {
        var next = new DOMParser().parseFromString(html, "text/html").getElementById("picker");
        if (!next) { window.location.href = url; return; }
        current.innerHTML = next.innerHTML;
        current.removeAttribute("aria-busy");
        if (push) { history.pushState({ picker: url }, "", url); }
        // Move focus to what the choice revealed: the details form, else the day's times.
        var focus = current.querySelector("#details-heading") || current.querySelector("#times-heading") ||
                    current.querySelector("#days-heading");
        if (focus) { focus.setAttribute("tabindex", "-1"); focus.focus(); }
        wire(current);
      })
      .catch(function () { window.location.href = url; });
  }

  function wireOnce(root) {
    root.querySelectorAll("form[data-once]").forEach(function (form) {
      form.addEventListener("submit", function () {
        form.querySelectorAll("button[type=submit]").forEach(function (b) {
          window.setTimeout(function () { b.disabled = true; }, 0);
        });
      });
    });
  }

  function wireSignatures(root) {
    root.querySelectorAll("canvas[data-signature-for]").forEach(function (canvas) {
      var input = document.getElementById(canvas.getAttribute("data-signature-for"));
      var ctx = canvas.getContext("2d");
      var drawing = false, drawn = false;
      ctx.lineWidth = 3; ctx.lineCap = "round"; ctx.strokeStyle = "#111";
      function point(e) {
        var r = canvas.getBoundingClientRect();
        return { x: (e.clientX - r.left) * canvas.width / r.width, y: (e.clientY - r.top) * canvas.height / r.height };
      }
      canvas.addEventListener("pointerdown", function (e) {
        drawing = true; canvas.setPointerCapture(e.pointerId);
        var p = point(e); ctx.beginPath(); ctx.moveTo(p.x, p.y);
      });
      canvas.addEventListener("pointermove", function (e) {
        if (!drawing) { return; }
        var p = point(e); ctx.lineTo(p.x, p.y); ctx.stroke(); drawn = true;
      });
      function end() {
        if (!drawing) { return; }
        drawing = false;
        if (drawn) { input.value = canvas.toDataURL("image/png"); }
      }
      canvas.addEventListener("pointerup", end);
      canvas.addEventListener("pointercancel", end);
      var clear = root.querySelector("[data-clear-signature='" + input.id + "']");
      if (clear) {
        clear.addEventListener("click", function () {
          ctx.clearRect(0, 0, canvas.width, canvas.height); input.value = ""; drawn = false;
        });
      }
    });
  }

  function wire(root) {
    root.querySelectorAll("a[data-pick]").forEach(function (link) {
      link.addEventListener("click", function (e) {
        if (e.metaKey || e.ctrlKey || e.shiftKey || e.button !== 0) { return; }
        e.preventDefault();
        swapPicker(link.href, true);
      });
    });
    wireOnce(root);
  }

  window.addEventListener("popstate", function (e) {
    if (e.state && e.state.picker) { swapPicker(e.state.picker, false); }
  });

  document.addEventListener("DOMContentLoaded", function () {
    if (document.getElementById("picker")) {
      history.replaceState({ picker: window.location.href }, "", window.location.href);
    }
    wire(document);
    wireSignatures(document);
  });
}());
