// The layers keras.applications defines inside its model modules (not in keras.layers) and
// saves with its models; loading finds them here by class name.
export { CustomScaleLayer, type CustomScaleLayerArgs } from './custom_scale_layer.js';
export { LayerScale, type LayerScaleArgs } from './layer_scale.js';
export { StochasticDepth, type StochasticDepthArgs } from './stochastic_depth.js';
