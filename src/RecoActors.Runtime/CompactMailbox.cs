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
/// <remarks>Under a lock: an entity has few producers (its partition, now and then a reader), so the lock is uncontended.</remarks>
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
    /// <remarks>
    /// An entity holds no message or one almost always (its partition sends each user one message per burst), so the
    /// oldest message has a slot of its own and a queue exists only while more wait: 48 bytes instead of 150.
    /// </remarks>
    public sealed class Queue : IMessageQueue, IUnboundedMessageQueueSemantics
    {
        private Envelope _head;
        private bool _hasHead;
        private Queue<Envelope>? _rest;

        /// <inheritdoc />
        public bool HasMessages
        {
            get
            {
                lock (this) return _hasHead;
            }
        }

        /// <inheritdoc />
        public int Count
        {
            get
            {
                lock (this) return _hasHead ? 1 + (_rest?.Count ?? 0) : 0;
            }
        }

        /// <inheritdoc />
        public void Enqueue(IActorRef receiver, Envelope envelope)
        {
            lock (this)
            {
                if (!_hasHead)
                {
                    _head = envelope;
                    _hasHead = true;
                }
                else (_rest ??= new Queue<Envelope>()).Enqueue(envelope);
            }
        }

        /// <inheritdoc />
        public bool TryDequeue(out Envelope envelope)
        {
            lock (this)
            {
                envelope = _head;
                if (!_hasHead) return false;
                if (_rest is { } rest && rest.TryDequeue(out var next))
                {
                    _head = next;
                    if (rest.Count == 0) _rest = null;
                }
                else
                {
                    _head = default;
                    _hasHead = false;
                }
                return true;
            }
        }

        /// <inheritdoc />
        public void CleanUp(IActorRef owner, IMessageQueue deadletters)
        {
            while (TryDequeue(out var message)) deadletters.Enqueue(owner, message);
        }
    }
}
