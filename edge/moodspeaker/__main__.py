from moodspeaker.cli import main

raise SystemExit(main())
