namespace Skiff.Store;

/// <summary>Where the store lives and how it keeps history.</summary>
public sealed class StoreOptions
{
    /// <summary>
    /// A SQLite file path (optionally <c>sqlite://PATH</c>), <c>etcd://host:port,host:port</c>, or <c>memory://</c>.
    /// </summary>
    public string Endpoint { get; set; } = "/var/lib/skiff/db/state.db";

    /// <summary>The key prefix under which the etcd backend keeps everything.</summary>
    public string EtcdPrefix { get; set; } = "/registry";

    /// <summary>
    /// How much history stays watchable. Every interval the store is compacted to the revision it had one interval before,
    /// as kube-apiserver does every 5 minutes. Zero turns periodic compaction off.
    /// </summary>
    public TimeSpan CompactionInterval { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>The parsed form of <see cref="Endpoint"/>.</summary>
    public StoreEndpoint ParseEndpoint() => StoreEndpoint.Parse(Endpoint);
}
