namespace Skiff.Agent.Kubelet.Images;

/// <summary>The outcome of <see cref="ImageManager.EnsureImageAsync"/>.</summary>
public sealed record ImageResult(bool Ready, string? ImageRef, string? Reason, string? Message)
{
    public static ImageResult Present(string imageRef) => new(true, imageRef, null, null);

    public static ImageResult Failed(string reason, string message) => new(false, null, reason, message);
}
