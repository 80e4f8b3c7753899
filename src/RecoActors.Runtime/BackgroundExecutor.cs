using System.Collections.Concurrent;
using Akka.Configuration;
using Akka.Dispatch;

namespace RecoActors.Runtime;

/// <summary>
/// An executor for dispatchers of background work: threads of its own (<c>background-executor.thread-count</c>), each
/// lowered (<see cref="BackgroundThread"/>) before it runs anything. Named in a dispatcher's configuration as
/// <c>executor = "RecoActors.Runtime.BackgroundExecutor, RecoActors.Runtime"</c>.
/// </summary>
/// <remarks>
/// Akka's own dedicated threads cannot be lowered from their start: actors on them used to lower whichever thread ran
/// them, message by message. A store plugin's actor cannot, so it needs threads that are lowered already.
/// </remarks>
public sealed class BackgroundExecutor : ExecutorServiceConfigurator
{
    private readonly int _threads;

    /// <summary>Reads the thread count from <paramref name="config"/> (the dispatcher's section).</summary>
    public BackgroundExecutor(Config config, IDispatcherPrerequisites prerequisites) : base(config, prerequisites)
    {
        ArgumentNullException.ThrowIfNull(config);
        _threads = config.GetInt("background-executor.thread-count", 1);
        if (_threads < 1)
            throw new ConfigurationException($"{config.GetString("id")}.background-executor.thread-count must be at least 1 (it was {_threads})");
    }

    /// <summary>The HOCON of a dispatcher <paramref name="id"/> (its full path) on <paramref name="threads"/> background threads.</summary>
    public static string Dispatcher(string id, int threads) => $$"""
        {{id}} {
          type = Dispatcher
          executor = {{Protocol.ClusterConfig.Quote(typeof(BackgroundExecutor).AssemblyQualifiedName!)}}
          throughput = 100
          background-executor.thread-count = {{threads}}
        }
        """;

    /// <inheritdoc />
    public override ExecutorService Produce(string id) => new Threads(id, _threads);

    /// <summary>The lowered threads of one dispatcher, taking its work in order from one queue.</summary>
    private sealed class Threads : ExecutorService
    {
        private readonly BlockingCollection<IRunnable> _work = [];

        public Threads(string id, int count) : base(id)
        {
            for (var i = 0; i < count; i++) new Thread(Run) { IsBackground = true, Name = $"{id}-{i}" }.Start();
        }

        public override void Execute(IRunnable run)
        {
            try
            {
                _work.Add(run);
            }
            catch (InvalidOperationException)
            {
                throw new RejectedExecutionException($"the dispatcher {Id} is shutting down");
            }
        }

        public override void Shutdown() => _work.CompleteAdding();

        private void Run()
        {
            BackgroundThread.Lower();
            foreach (var run in _work.GetConsumingEnumerable()) run.Run();
        }
    }
}
