using k8s;
using k8s.Models;

namespace Skiff.Machinery.Informers;

/// <summary>
/// One watch event as the informer sees it: the object for ADDED, MODIFIED, DELETED and BOOKMARK; the Status for ERROR
/// (code 410 means the resourceVersion is too old and the informer relists).
/// </summary>
public sealed record InformerWatchEvent<T>(WatchEventType Type, T? Item, V1Status? Status = null);
