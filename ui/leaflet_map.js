// The overview's map, drawn in the page (ui/leaflet_map.py). Leaflet is served by the app
// and loaded once per page, from the first map's mount on.
function leaflet() {
  if (!window.__ctgLeaflet) {
    window.__ctgLeaflet = new Promise((resolve, reject) => {
      if (window.L) {
        resolve(window.L);
        return;
      }
      const css = document.createElement("link");
      css.rel = "stylesheet";
      css.href = "LEAFLET_CSS";
      document.head.appendChild(css);
      const script = document.createElement("script");
      script.src = "LEAFLET_JS";
      script.onload = () => resolve(window.L);
      script.onerror = () => {
        window.__ctgLeaflet = null; // the next map tries again
        reject(new Error("leaflet"));
      };
      document.head.appendChild(script);
    });
  }
  return window.__ctgLeaflet;
}

export default function (component) {
  const { parentElement, data, setTriggerValue } = component;
  const box = parentElement.querySelector(".ctg-map");
  box.style.height = data.height + "px";
  if (box.ctgScript === data.script) return; // the same map: left as it is
  box.ctgScript = data.script;
  leaflet()
    .then(() => {
      if (box.ctgScript !== data.script) return; // a newer map is on its way
      if (box.ctgMap) box.ctgMap.remove();
      box.innerHTML = data.markup; // folium's styles and div: no user text (it is in the script, escaped)
      const map = new Function(data.script + "\nreturn " + data.name + ";")();
      box.ctgMap = map;
      map.eachLayer((layer) => {
        const code = layer.feature && layer.feature.properties && layer.feature.properties.code;
        if (code) layer.on("click", () => setTriggerValue("clicked", String(code)));
      });
      if (data.report) setTriggerValue("drawn", true);
    })
    .catch(() => {
      box.ctgScript = null;
      box.textContent =
        "La carte n'a pas pu être affichée. Les chiffres et l'onglet Tableau restent disponibles.";
      box.setAttribute("role", "alert");
      if (data.report) setTriggerValue("drawn", false);
    });
}
