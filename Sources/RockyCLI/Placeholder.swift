import RockyStore
public enum RockyCLIPlaceholder {}
