import { useEffect, useRef } from 'preact/hooks';
import uPlot from 'uplot';

export interface SparklineProps {
  /** Seconds since the epoch. */
  readonly times: readonly number[];
  readonly series: readonly {
    readonly label: string;
    readonly values: readonly (number | null)[];
    readonly color: string;
  }[];
  readonly height?: number;
}

/** A small uPlot line chart, recreated when the series set changes and updated in place otherwise. */
export function Sparkline({ times, series, height = 120 }: SparklineProps) {
  const host = useRef<HTMLDivElement>(null);
  const plot = useRef<uPlot | null>(null);
  const labels = series.map((s) => s.label).join('|');

  useEffect(() => {
    const element = host.current;
    if (element === null) return;
    const options: uPlot.Options = {
      width: Math.max(element.clientWidth, 200),
      height,
      legend: { show: true },
      cursor: { show: true, drag: { x: false, y: false } },
      scales: { x: { time: true } },
      axes: [
        { stroke: '#8a94a6', grid: { show: false } },
        { stroke: '#8a94a6', size: 50 },
      ],
      series: [{}, ...series.map((s) => ({ label: s.label, stroke: s.color, width: 1.5, spanGaps: true }))],
    };
    const created = new uPlot(
      options,
      [[...times], ...series.map((s) => [...s.values])] as uPlot.AlignedData,
      element,
    );
    plot.current = created;
    const resize = new ResizeObserver(() =>
      created.setSize({ width: Math.max(element.clientWidth, 200), height }),
    );
    resize.observe(element);
    return () => {
      resize.disconnect();
      created.destroy();
      plot.current = null;
    };
    // Recreate only when the set of series changes; data updates go through setData below.
    // eslint-disable-next-line
  }, [labels, height]);

  useEffect(() => {
    plot.current?.setData([[...times], ...series.map((s) => [...s.values])] as uPlot.AlignedData);
  }, [times, series]);

  return <div class="sparkline" ref={host} />;
}
