namespace RecoActors.Text;

/// <summary>A text model cannot be loaded; the message names the file and what is wrong with it.</summary>
public sealed class TextModelException : Exception
{
    /// <summary>An exception with a message.</summary>
    public TextModelException(string message) : base(message) { }

    /// <summary>An exception with a message and its cause.</summary>
    public TextModelException(string message, Exception inner) : base(message, inner) { }
}
