import sys

try:
    from cloudmodel.cli import main

    main()
except KeyboardInterrupt:  # Ctrl-C before a command's own handler is in place (while importing)
    sys.stderr.write("cloudmodel: interrupted\n")
    sys.exit(130)
