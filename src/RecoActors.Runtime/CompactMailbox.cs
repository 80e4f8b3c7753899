using Akka.Actor;
using Akka.Configuration;
using Akka.Dispatch;
using Akka.Dispatch.MessageQueues;

namespace RecoActors.Runtime;

/// <summary>
/// The user entities' mailbox: an unbounded queue that costs a few dozen bytes while empty. The default mailbox's
/// concurrent queue starts at 32 slots (about 800 bytes), which is most of what a resident user costs, and a node
/// keeps a hundred thousand of them, almost all empty at any moment.
/// </summary>
/// <remarks>A plain queue under a lock: an entity has few producers (its partition, now and then a reader), so the lock is uncontended.</remarks>
public sealed class CompactMailbox : MailboxType, IProducesMessageQueue<CompactMailbox.Queue>
{
    /// <summary>The configuration path entities name in their props.</summary>
    public const string Id = "reco-compact-mailbox";

    /// <summary>The HOCON that defines <see cref="Id"/>.</summary>
    public static string Hocon => $$"""{{Id}}.mailbox-type = "{{typeof(CompactMailbox).FullName}}, {{typeof(CompactMailbox).Assembly.GetName().Name}}" """;

    /// <summary>Made by Akka from the mailbox's configuration.</summary>
    public CompactMailbox(Settings settings, Config config) : base(settings, config)
    {
    }

    /// <inheritdoc />
    public override IMessageQueue Create(IActorRef owner, ActorSystem system) => new Queue();

    /// <summary>The queue behind one entity's mailbox.</summary>
    public sealed class Queue : IMessageQueue, IUnboundedMessageQueueSemantics
    {
        private readonly Queue<Envelope> _queue = new();

        /// <inheritdoc />
        public bool HasMessages
        {
            get
            {
                lock (_queue) return _queue.Count > 0;
            }
        }

        /// <inheritdoc />
        public int Count
        {
            get
            {
                lock (_queue) return _queue.Count;
            }
        }

        /// <inheritdoc />
        public void Enqueue(IActorRef receiver, Envelope envelope)
        {
            lock (_queue) _queue.Enqueue(envelope);
        }

        /// <inheritdoc />
        public bool TryDequeue(out Envelope envelope)
        {
            lock (_queue) return _queue.TryDequeue(out envelope);
        }

        /// <inheritdoc />
        public void CleanUp(IActorRef owner, IMessageQueue deadletters)
        {
            while (TryDequeue(out var message)) deadletters.Enqueue(owner, message);
        }
    }
}
