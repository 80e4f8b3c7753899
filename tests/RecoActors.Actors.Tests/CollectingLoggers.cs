using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace RecoActors.Actors.Tests;

/// <summary>Loggers that keep every error message, so tests can check what was logged and how often.</summary>
internal sealed class CollectingLoggers : ILoggerFactory
{
    private readonly ConcurrentQueue<string> _errors = new();
    private readonly ConcurrentQueue<string> _all = new();

    public IReadOnlyCollection<string> Errors => _errors;

    /// <summary>Everything from Information up, timestamped: shown when a test times out.</summary>
    public IReadOnlyCollection<string> All => _all;

    public ILogger CreateLogger(string categoryName) => new Collector(_errors, _all);

    public void AddProvider(ILoggerProvider provider) { }

    public void Dispose() { }

    private sealed class Collector(ConcurrentQueue<string> errors, ConcurrentQueue<string> all) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => logLevel >= LogLevel.Information;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            var message = formatter(state, exception);
            all.Enqueue($"{DateTime.UtcNow:HH:mm:ss.fff} {logLevel} {message} {exception?.GetType().Name} {exception?.Message}");
            if (logLevel >= LogLevel.Error) errors.Enqueue(message);
        }
    }
}
