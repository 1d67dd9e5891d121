/* nnedu book: search result snippets show maths as plain text instead of raw TeX. */
"use strict";

(() => {
  const SYMBOLS = {
    alpha: "α", beta: "β", gamma: "γ", delta: "δ", Delta: "Δ", epsilon: "ε", varepsilon: "ε",
    eta: "η", theta: "θ", lambda: "λ", mu: "μ", pi: "π", sigma: "σ", Sigma: "Σ", tau: "τ",
    phi: "φ", varphi: "φ", omega: "ω", partial: "∂", nabla: "∇", sum: "Σ", prod: "Π",
    cdot: "·", times: "×", le: "≤", leq: "≤", ge: "≥", geq: "≥", ne: "≠", neq: "≠",
    approx: "≈", to: "→", rightarrow: "→", leftarrow: "←", infty: "∞", in: "∈", top: "ᵀ",
    odot: "⊙", pm: "±", ldots: "…", dots: "…", cdots: "⋯", quad: " ", qquad: " ", max: "max",
    min: "min", log: "log", exp: "exp", tanh: "tanh",
  };

  /** A TeX fragment as readable plain text: \mathbf{w}^\top \mathbf{x} -> wᵀ x. */
  function texToText(tex) {
    let s = tex.replace(/\\begin\{[^}]*\}|\\end\{[^}]*\}/g, " ");
    s = s.replace(/\\\{/g, "\u0001").replace(/\\\}/g, "\u0002");   // literal braces \{ \}
    for (let i = 0; i < 4; i++) {
      s = s.replace(/\\[dt]?frac\s*\{([^{}]*)\}\s*\{([^{}]*)\}/g, "($1)/($2)");
    }
    s = s.replace(/\\(?:mathbf|mathrm|mathit|mathcal|boldsymbol|text|textrm|operatorname|bm)\s*\{([^{}]*)\}/g, "$1");
    s = s.replace(/\\([A-Za-z]+)/g, (m, name) => (name in SYMBOLS ? SYMBOLS[name] : ""));
    s = s.replace(/\\[,;:! ]/g, " ").replace(/\\\\/g, " ");
    s = s.replace(/\^\s*ᵀ/g, "ᵀ").replace(/[{}]/g, "").replace(/&/g, " ");
    s = s.replace(/\u0001/g, "{").replace(/\u0002/g, "}");
    return s.replace(/\s+/g, " ").trim();
  }

  /** Replace every \( \), \[ \] and $$ $$ span of a text by its plain-text reading. */
  function plainMaths(text) {
    return text
      .replace(/\\\(([\s\S]*?)\\\)/g, (m, tex) => texToText(tex))
      .replace(/\\\[([\s\S]*?)\\\]/g, (m, tex) => " " + texToText(tex) + " ")
      .replace(/\$\$([\s\S]*?)\$\$/g, (m, tex) => " " + texToText(tex) + " ");
  }

  document.addEventListener("DOMContentLoaded", () => {
    if (typeof Search === "undefined" || typeof Search.htmlToText !== "function") return;
    const htmlToText = Search.htmlToText;
    Search.htmlToText = (htmlString, anchor) => plainMaths(htmlToText(htmlString, anchor));
  });

  window.nneduPlainMaths = plainMaths;  // for the browser test
})();
