from falwidgets.cli import main

raise SystemExit(main())
