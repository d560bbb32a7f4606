from drsim.cli import main

main()
