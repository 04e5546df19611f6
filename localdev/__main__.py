"""``python -m localdev [serve]`` runs the local stack; ``python -m localdev token …`` prints a token.

Nothing is imported unless this runs as the program: every function environment is a spawned
process that imports this module first (as ``__mp_main__``), and the runner's own modules
(the emulator, the gateway, the template reader) would add a third to each cold start.
"""

if __name__ == "__main__":
    import logging
    import os
    import sys

    from localdev.cli import main

    code = main()
    # Everything was stopped above. Tearing the interpreter down (moto's and boto3's module graphs)
    # would add a second or more to Ctrl-C on a busy machine, for nothing.
    logging.shutdown()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)
