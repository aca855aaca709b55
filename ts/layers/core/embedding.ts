import type { ConstraintIdentifier } from '../../constraints/index.js';
import { ValueError } from '../../errors.js';
import { getInitializer, type InitializerIdentifier } from '../../initializers.js';
import * as ops from '../../ops.js';
import type { RegularizerIdentifier } from '../../regularizers/index.js';
import { type Shape, SymbolicTensor } from '../../symbolic.js';
import type { Tensor } from '../../tensor.js';
import type { Variable } from '../../variable.js';
import { resolveWeightPenalties, type WeightPenalties, weightPenaltiesConfig } from '../kernel_args.js';
import { Layer, type LayerArgs, type LayerConfig, type LayerInput, type LayerOutput } from '../layer.js';
import { describeArgument, mainArguments } from '../main_arguments.js';

export interface EmbeddingArgs extends LayerArgs {
  /** Default 'uniform' (-0.05 to 0.05), as Keras. */
  embeddingsInitializer?: InitializerIdentifier;
  /** Treat id 0 as padding: the output carries a mask that recurrent layers read (default false). */
  maskZero?: boolean;
  /** A penalty on the table, added to the loss. Default none. */
  embeddingsRegularizer?: RegularizerIdentifier | null;
  /** Applied to the table after each optimizer step. Default none. */
  embeddingsConstraint?: ConstraintIdentifier | null;
}

/** Turns integer ids [batch, ...] into vectors [batch, ..., outputDim] from a learned table. */
export class Embedding extends Layer {
  /** The vocabulary size: ids run from 0 to inputDim - 1. */
  readonly inputDim: number;
  /** The size of each vector. */
  readonly outputDim: number;
  /** Whether id 0 is padding, masked downstream. */
  readonly maskZero: boolean;
  /** The table [inputDim, outputDim] (after build). */
  embeddings!: Variable;
  private readonly initializer: InitializerIdentifier;
  private readonly penalties: Record<'embeddings', WeightPenalties>;

  constructor(inputDim: number | (EmbeddingArgs & { inputDim: number; outputDim: number }), outputDim?: number, args: EmbeddingArgs = {}) {
    const { main, options } = mainArguments<EmbeddingArgs>([inputDim, outputDim, args], ['inputDim', 'outputDim']);
    [inputDim, outputDim, args] = [main[0] as number, main[1] as number, options];
    super(args, ['embeddingsInitializer', 'maskZero', 'embeddingsRegularizer', 'embeddingsConstraint']);
    for (const [name, value] of [
      ['inputDim', inputDim],
      ['outputDim', outputDim],
    ] as const) {
      if (!Number.isInteger(value) || value <= 0) throw new ValueError(`Both \`inputDim\` and \`outputDim\` should be positive, received ${name}=${describeArgument(value)}`);
    }
    this.maskZero = args.maskZero ?? false;
    this.inputDim = inputDim;
    this.outputDim = outputDim as number;
    this.initializer = args.embeddingsInitializer ?? 'uniform';
    getInitializer(this.initializer);
    this.penalties = resolveWeightPenalties(args as Record<string, unknown>, ['embeddings']);
  }

  build(_inputShape: Shape | Shape[]): void {
    this.embeddings = this.addWeight({ name: 'embeddings', shape: [this.inputDim, this.outputDim], initializer: this.initializer, ...this.penalties.embeddings });
  }

  call(inputs: LayerInput | LayerInput[]): LayerOutput {
    const ids = inputs as LayerInput;
    if (ids instanceof SymbolicTensor) return ops.embedding(ids, this.embeddings);
    const t = ids as Tensor;
    return this.embeddings
      .read()
      .gather(t.reshape([-1]))
      .reshape([...t.shape, this.outputDim]);
  }

  /** With maskZero, 1 where the id is not 0 (Keras' `ops.not_equal(inputs, 0)`). */
  computeMask(inputs: LayerInput | LayerInput[]): LayerInput | undefined {
    return this.maskZero ? ops.notEqual(inputs as LayerInput, 0) : undefined;
  }

  getConfig(): LayerConfig {
    return { ...super.getConfig(), inputDim: this.inputDim, outputDim: this.outputDim, maskZero: this.maskZero, ...weightPenaltiesConfig(this.penalties) };
  }
}
