namespace Skiff.ApiServer.Authentication;

/// <summary>
/// An object a service-account token is bound to (<c>Pod</c>, <c>Secret</c> or <c>Node</c>, by name and uid): the token
/// is refused once that object is gone or replaced by one with another uid.
/// </summary>
internal sealed record BoundObject(string Kind, string Name, string Uid);
