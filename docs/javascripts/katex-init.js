// Render the formulas that pymdownx.arithmatex leaves in the page, with the
// KaTeX copy vendored under assets/katex/ (no CDN). Material re-runs this on
// every page change through its document$ observable.
function ttRenderMath(root) {
  root.querySelectorAll(".arithmatex").forEach(function (el) {
    renderMathInElement(el, {
      delimiters: [
        { left: "\\(", right: "\\)", display: false },
        { left: "\\[", right: "\\]", display: true },
      ],
      throwOnError: false,
    });
  });
}

if (typeof document$ !== "undefined") {
  document$.subscribe(function ({ body }) { ttRenderMath(body); });
} else {
  document.addEventListener("DOMContentLoaded", function () { ttRenderMath(document.body); });
}
