from pathway.cli import main

main()
