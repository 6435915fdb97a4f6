public enum RockyStorePlaceholder {}
