namespace Skiff.Agent.Proxy;

/// <summary>One watched object the proxy saw change, as reported with the sync that applied it.</summary>
/// <param name="Kind">Service, EndpointSlice or Node.</param>
/// <param name="Namespace">Empty for the Node.</param>
/// <param name="Name">The object's name.</param>
/// <param name="ResourceVersion">The resourceVersion the informer delivered (the one a write returned).</param>
/// <param name="Deleted">The object went away.</param>
/// <param name="ObservedAt">When the informer delivered it.</param>
public sealed record ProxyChange(string Kind, string Namespace, string Name, string? ResourceVersion, bool Deleted, DateTimeOffset ObservedAt);
