// Today's curve per minute with last week's same weekday behind it: one uPlot instance for the life of
// the page, fed the same arrays (DaySeries) through setData, resized by one listener.
import uPlot from 'uplot';
import { labelStep, MINUTES_A_DAY, type DaySeries } from './day-series.js';
import type { Formats } from './format.js';
import type { DashboardLabels } from './labels.js';

export interface Chart {
  redraw(): void;
}

const sizeOf = (box: HTMLElement) => ({ width: Math.max(240, box.clientWidth), height: Math.max(160, Math.min(320, Math.round(box.clientWidth * 0.35))) });

export function makeChart(box: HTMLElement, series: DaySeries, labels: DashboardLabels, formats: Formats): Chart {
  const data: uPlot.AlignedData = [series.minutes, series.lastWeek, series.today];
  const plot = new uPlot(
    {
      ...sizeOf(box),
      scales: { x: { time: false, range: [0, MINUTES_A_DAY - 1] }, y: { range: (_u, _min, max) => [0, Math.max(5, Math.ceil(max * 1.1))] } },
      axes: [
        {
          stroke: 'currentColor',
          // A label on whole hours, as many as the width holds.
          splits: (u) => {
            const step = labelStep(Math.floor(u.width / 70));
            const splits: number[] = [];
            for (let minute = 0; minute < MINUTES_A_DAY; minute += step) splits.push(minute);
            return splits;
          },
          values: (_u, splits) => splits.map((minute) => formats.minute(minute)),
          grid: { stroke: 'rgba(128,128,128,0.2)' },
        },
        { stroke: 'currentColor', values: (_u, splits) => splits.map((value) => formats.number(value)), grid: { stroke: 'rgba(128,128,128,0.2)' } },
      ],
      series: [
        { label: labels.time, value: (_u, minute) => (minute == null ? '' : formats.minute(minute)) },
        { label: labels.lastWeek, stroke: '#8a8f98', width: 1.5, dash: [6, 4], value: (_u, v) => (v == null ? '–' : formats.number(v)) },
        { label: labels.today, stroke: '#0b63ce', fill: 'rgba(11,99,206,0.12)', width: 2, value: (_u, v) => (v == null ? '–' : formats.number(v)) },
      ],
      cursor: { drag: { x: false, y: false } },
    },
    data,
    box,
  );
  let pending = 0;
  window.addEventListener('resize', () => {
    cancelAnimationFrame(pending);
    pending = requestAnimationFrame(() => plot.setSize(sizeOf(box)));
  });
  return { redraw: () => plot.setData(data) };
}
