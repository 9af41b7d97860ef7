// The indicator store's types live with the store (which may not import connectors); connectors use them here.
export {
  IndicatorTypes,
  type Indicator,
  type IndicatorPort,
  type IndicatorType,
} from '../../store/connectors/indicator.types.js';
