// graph.js: lines over the last 10 minutes on a canvas.  samples are
// rows [t, cpu_pct, memory, net_rx, net_tx, blk_rd, blk_wr] (the
// server's history, docs/WEB.md); series say which columns, in what
// colour, against what maximum (null: the largest value seen).
export const CPU = '#2563eb', MEM = '#16a34a', RX = '#9333ea', TX = '#ea580c', RD = '#0891b2', WR = '#b91c1c';

export function drawSeries(canvas, samples, series, grid = true) {
  const g = canvas.getContext('2d');
  const w = canvas.width, h = canvas.height;
  g.clearRect(0, 0, w, h);
  if (grid) {
    g.strokeStyle = '#d0d5dd';
    g.lineWidth = 1;
    for (let i = 1; i < 4; i++) {
      g.beginPath(); g.moveTo(0, h * i / 4); g.lineTo(w, h * i / 4); g.stroke();
    }
  }
  if (!samples || samples.length < 2) return;
  const t1 = samples[samples.length - 1][0], t0 = t1 - 600;
  const x = (t) => (t - t0) / 600 * w;
  for (const s of series) {
    const max = s.max ?? Math.max(...samples.map((r) => r[s.i]), 1) * 1.2;
    g.strokeStyle = s.colour;
    g.lineWidth = grid ? 2 : 1.5;
    g.beginPath();
    samples.forEach((r, k) => {
      const y = h - Math.min(r[s.i] / max, 1) * (h - 4) - 2;
      if (k) g.lineTo(x(r[0]), y); else g.moveTo(x(r[0]), y);
    });
    g.stroke();
  }
}

// The domain page's CPU and memory graph.
export function drawGraph(canvas, hist) {
  drawSeries(canvas, hist.samples, [{ i: 1, colour: CPU, max: 100 }, { i: 2, colour: MEM }]);
}

// Its network and disk rates.
export function drawIO(canvas, hist) {
  drawSeries(canvas, hist.samples, [{ i: 3, colour: RX }, { i: 4, colour: TX }, { i: 5, colour: RD }, { i: 6, colour: WR }]);
}
