// graph.js: CPU % and memory of the last 10 minutes on a canvas.
export function drawGraph(canvas, hist) {
  const g = canvas.getContext('2d');
  const w = canvas.width, h = canvas.height;
  const s = hist.samples || [];
  g.clearRect(0, 0, w, h);
  g.strokeStyle = '#d0d5dd';
  g.lineWidth = 1;
  for (let i = 1; i < 4; i++) {
    g.beginPath(); g.moveTo(0, h * i / 4); g.lineTo(w, h * i / 4); g.stroke();
  }
  if (s.length < 2) return;
  const t1 = s[s.length - 1][0], t0 = t1 - 600;
  const x = (t) => (t - t0) / 600 * w;
  const line = (idx, max, colour) => {
    g.strokeStyle = colour;
    g.lineWidth = 2;
    g.beginPath();
    s.forEach((r, i) => {
      const y = h - Math.min(r[idx] / max, 1) * (h - 4) - 2;
      if (i) g.lineTo(x(r[0]), y); else g.moveTo(x(r[0]), y);
    });
    g.stroke();
  };
  const memMax = Math.max(...s.map((r) => r[2]), 1) * 1.2;
  line(1, 100, '#2563eb');
  line(2, memMax, '#16a34a');
}
