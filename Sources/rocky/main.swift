import RockyCLI
