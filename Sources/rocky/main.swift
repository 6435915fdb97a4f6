import RockyCLI

RockyCLI.main()
