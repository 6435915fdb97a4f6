public enum RockySQLPlaceholder {}
