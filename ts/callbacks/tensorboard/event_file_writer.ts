// An event file as tf.summary's file writer makes it: `events.out.tfevents.<time>.<host>.<pid>.<n>.v2`
// in its directory, TFRecord-framed Events, each scalar and histogram in an Event of its own.
import { closeSync, mkdirSync, openSync, writeSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { DataType, fileVersionEvent, graphEvent, summaryEvent } from './event_protos.js';
import { histogramBuckets } from './histogram.js';
import { frameRecord } from './tfrecord.js';

let filesOpened = 0;

export class EventFileWriter {
  readonly path: string;
  private fd: number;

  constructor(directory: string) {
    mkdirSync(directory, { recursive: true });
    const now = Date.now() / 1000;
    this.path = join(directory, `events.out.tfevents.${Math.floor(now)}.${hostname()}.${process.pid}.${filesOpened++}.v2`);
    this.fd = openSync(this.path, 'w');
    this.write(fileVersionEvent(Math.floor(now)));
  }

  /** A scalar as tf.summary.scalar writes it: a float32 tensor of shape [] for the scalars plugin. */
  scalar(tag: string, value: number, step: number): void {
    const content = Buffer.alloc(4);
    content.writeFloatLE(value);
    this.write(summaryEvent(Date.now() / 1000, step, tag, 'scalars', { dtype: DataType.DT_FLOAT, shape: [], content }));
  }

  /** A histogram as tf.summary.histogram writes it: float64 [buckets, 3] for the histograms plugin. */
  histogram(tag: string, values: ArrayLike<number>, step: number): void {
    const rows = histogramBuckets(values);
    const content = Buffer.alloc(rows.length * 8);
    rows.forEach((v, i) => content.writeDoubleLE(v, i * 8));
    this.write(summaryEvent(Date.now() / 1000, step, tag, 'histograms', { dtype: DataType.DT_DOUBLE, shape: [rows.length / 3, 3], content }));
  }

  /** A graph for TensorBoard's Graphs tab. */
  graph(nodes: { name: string; op: string; input: string[] }[]): void {
    this.write(graphEvent(Date.now() / 1000, nodes));
  }

  close(): void {
    if (this.fd < 0) return;
    closeSync(this.fd);
    this.fd = -1;
  }

  private write(event: Uint8Array): void {
    // Written through at once, so TensorBoard shows training live and a crash loses nothing.
    writeSync(this.fd, frameRecord(event));
  }
}
