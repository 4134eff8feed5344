export { QuantizerLayer, type QuantizerLayerArgs } from './quantizer-layer';
