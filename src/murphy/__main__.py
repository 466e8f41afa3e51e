from murphy.cli import main

main()
