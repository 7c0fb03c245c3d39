// The pad's link to the latent page's scatter of test digits (app_pages/components/
// latent_scatter.js, a canvas in the same page): the "you" ring drawn over it, and a click (a
// tap on a phone) on a test digit, which moves the pad's point to that digit's code. Nothing
// goes to the server: the two components meet in `window.__latentLink` (the scatter's header
// says what each side puts there).

function shared() {
  return (window.__latentLink ||= {});
}

// Links the pad to the chart of Streamlit key `key` (`link.onPick(index, [z1, z2], label)` hears
// of clicked test digits, and of test digit `link.pending` once looked for in a newly drawn
// chart: `onPick(null)` if it is not there). Called on every render of the pad: a model switch
// brings a chart under another key, which may be drawn after the pad.
export function linkScatter(link, key) {
  link.key = key;
  const meeting = shared();
  // Only the chart of this pad's model: during a model switch the previous model's chart is
  // still on the page for a moment, and its codes are another model's.
  meeting.onPick = (chartKey, index, z, label) => { if (chartKey === link.key) link.onPick(index, z, label); };
  meeting.onChart = (chart) => {
    if (chart.key !== link.key) return;
    if (link.pending != null) {
      const hit = chart.point(link.pending);
      link.pending = null;
      link.onPick(...(hit || [null])); // not found: the pick is dropped, not left showing another model's code
    }
    chart.placeRing();
  };
  if (meeting.chart) meeting.onChart(meeting.chart);
}

// Moves the ring to `z` (on every latent move, in the page: no server round trip).
export function markScatter(link, z) {
  const meeting = shared();
  meeting.z = z.slice();
  if (meeting.chart) meeting.chart.placeRing();
}
