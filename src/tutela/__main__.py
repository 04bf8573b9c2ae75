from tutela.cli.app import main

main()
