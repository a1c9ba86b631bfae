"""Running a submission: a fork server that holds no student data, layered containment per child.

    grader process (supervisor.Runner)         reads every child's output and results, enforces
      │  control socket: "start a child with      deadlines and caps; never forks a child itself
      │  these descriptors", "kill", "ended"
      └─ launcher (forkserver.main)            enters new pid, net, IPC and mount namespaces
           └─ fork server, pid 1 there          builds the plan once (layers.prepare); forks, kills
                │                               and reaps; never reads what flows to the grader
                └─ child per submission         enters the layers (layers.enter), reads the source,
                                                runs it once per case (child.run_cases)

The fork server's death kills every child (it is process 1 of their pid namespace); it dies with
the launcher, which dies with the grader. ``seccomp``, ``landlock`` and ``mounts`` build the
layers; ``cleanup`` handles host scratch folders where private mounts are not available.
"""
