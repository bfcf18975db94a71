/**
 * A small accessible bar chart in plain SVG (no chart library): one bar per point, the value
 * in each bar's title, and a visually hidden table of the same figures for screen readers.
 */
export function BarChart(props: { title: string; points: { label: string; value: number }[]; format?: (value: number) => string }) {
  const format = props.format ?? ((v: number) => String(v));
  const max = Math.max(0, ...props.points.map((p) => p.value));
  const width = 24;
  const height = 120;
  return (
    <figure className="qm-chart">
      <figcaption>{props.title}</figcaption>
      <svg role="img" aria-label={props.title} width={props.points.length * width} height={height + 16} viewBox={`0 0 ${props.points.length * width} ${height + 16}`}>
        {props.points.map((p, i) => {
          const h = max > 0 ? Math.round((Math.max(p.value, 0) / max) * height) : 0;
          return (
            <g key={p.label}>
              <title>{`${p.label}: ${format(p.value)}`}</title>
              <rect x={i * width + 3} y={height - h} width={width - 6} height={h} className="qm-chart-bar" />
              <text x={i * width + width / 2} y={height + 12} textAnchor="middle" className="qm-chart-label">
                {p.label.slice(8, 10)}
              </text>
            </g>
          );
        })}
      </svg>
      <table className="qm-sr-only">
        <tbody>
          {props.points.map((p) => (
            <tr key={p.label}>
              <th scope="row">{p.label}</th>
              <td>{format(p.value)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </figure>
  );
}
