"""SmartSim-Scaling's Python aggregation consumer (cpp-py-data-aggregation), as the consumer
ranks of a scalestudy point:

    mpirun -n P scalestudy-rank --point p.yaml : -n 1 python3 -m scalestudy.consumer --point p.yaml

Per iteration: consumer 0 polls the list "iteration_<i>" until it names every producer's dataset
(poll interval 50 ms unless poll_interval_ms says otherwise); a barrier; `poll_list` is the time
up to here (measured after the barrier, as the reference's Python consumer does); every consumer
fetches the whole list (`get_list`); a barrier; consumer 0 deletes the list. Timings land in the
point's HDF5 file through the same recorder as the C++ ranks'.
"""

import sys
from typing import List, Optional

from . import MPI, ConfigError, ConsumerContext, consumer_comm, run_point


def consume(context: ConsumerContext) -> None:
    """The consumer loop: what SmartSim-Scaling's aggregation_consumer.py times."""
    params = context.parameters
    comm = consumer_comm(context)
    rank = comm.Get_rank()
    warmup = params["warmup"]
    samples = warmup + params["iterations"]
    producers = context.producers
    list_bytes = producers * params["tensors_per_dataset"] * (params["tensor_bytes"] // 4 * 4)
    interval = context.poll_interval_ms()
    tries = params["poll_tries"]
    verify = params["verify"]

    start = MPI.Wtime()
    store = context.connect()
    context.record(context.add_operation("client_init", 1), 0, MPI.Wtime() - start)
    comm.Barrier()
    poll_op = context.add_operation("poll_list", samples, warmup)
    get_op = context.add_operation("get_list", samples, warmup, list_bytes)
    loop_op = context.add_operation("loop_time", 1)

    loop_start = MPI.Wtime()
    for i in range(samples):
        if i == warmup:
            loop_start = MPI.Wtime()
        name = f"iteration_{i}"
        start = MPI.Wtime()
        if rank == 0 and not store.poll_list_length(name, producers, interval, tries):
            raise RuntimeError(f"list '{name}' did not reach {producers} datasets after "
                               f"{tries} polls {interval} ms apart")
        comm.Barrier()
        context.record(poll_op, i, MPI.Wtime() - start)
        start = MPI.Wtime()
        datasets = store.get_datasets_from_list(name)
        context.record(get_op, i, MPI.Wtime() - start)
        if verify and context.check_aggregation(i, datasets):
            context.fail(get_op, i)
        comm.Barrier()
        if rank == 0:
            store.delete_list(name)
    context.record(loop_op, 0, MPI.Wtime() - loop_start)


def main(argv: Optional[List[str]] = None) -> int:
    """Runs the point of `--point FILE [--<parameter> VALUE ...]` as a consumer rank."""
    args = sys.argv[1:] if argv is None else argv
    if not args or args[0] in ("-h", "--help"):
        print(__doc__)
        return 0 if args else 2
    try:
        run_point(args, consume)
    except ConfigError as error:
        # Raised identically on every rank before any work: rank 0 (a C++ rank) reports it.
        if MPI.COMM_WORLD.Get_rank() == 0:
            print(f"scalestudy.consumer: error: {error}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
