// Draws each Vega-Lite spec of the page with the vendored vega-embed (no network, no CDN).
document.addEventListener("DOMContentLoaded", function () {
  document.querySelectorAll("script.vega-spec").forEach(function (node) {
    var spec = JSON.parse(node.textContent);
    vegaEmbed("#" + node.dataset.target, spec, {actions: false, renderer: "svg"}).catch(function (err) {
      document.getElementById(node.dataset.target).textContent = String(err);
    });
  });
});
