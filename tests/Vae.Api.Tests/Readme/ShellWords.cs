using System.Text;

namespace Vae.Api.Tests.Readme;

/// <summary>
/// Splits the commands of a README shell block into words as sh would: single quotes keep
/// everything (newlines too), double quotes keep everything but \" \\ \$ \`, a backslash outside
/// quotes escapes the next character (a backslash at a line's end joins the next line), and # at
/// the start of a word begins a comment.
/// </summary>
internal static class ShellWords
{
    /// <summary>The block's commands, each as its words and the text it was read from; blank and comment lines give none.</summary>
    public static IEnumerable<(IReadOnlyList<string> Words, string Text)> Commands(string block)
    {
        var pending = new StringBuilder();
        foreach (string line in block.Split('\n'))
        {
            if (pending.Length > 0) pending.Append('\n');
            pending.Append(line.TrimEnd('\r'));
            var (words, complete) = Split(pending.ToString());
            if (!complete) continue;
            if (words.Count > 0) yield return (words, pending.ToString());
            pending.Clear();
        }
        if (pending.Length > 0) throw new FormatException($"A command does not end (an open quote or a trailing backslash): {pending}");
    }

    /// <summary>The words of a command; not complete when it ends inside quotes or right after a backslash.</summary>
    public static (IReadOnlyList<string> Words, bool Complete) Split(string text)
    {
        var words = new List<string>();
        var word = new StringBuilder();
        bool inWord = false;
        for (int i = 0; i < text.Length; i++)
        {
            char c = text[i];
            switch (c)
            {
                case '\'':
                    int close = text.IndexOf('\'', i + 1);
                    if (close < 0) return (words, false);
                    word.Append(text, i + 1, close - i - 1);
                    inWord = true;
                    i = close;
                    break;
                case '"':
                    inWord = true;
                    for (i++; ; i++)
                    {
                        if (i >= text.Length) return (words, false);
                        if (text[i] == '"') break;
                        if (text[i] == '\\' && i + 1 < text.Length && "\"\\$`".Contains(text[i + 1])) i++;
                        word.Append(text[i]);
                    }
                    break;
                case '\\':
                    if (i + 1 >= text.Length) return (words, false);
                    // A backslash before a newline joins the lines; before anything else it quotes that character.
                    if (text[i + 1] != '\n') { word.Append(text[i + 1]); inWord = true; }
                    i++;
                    break;
                case '#' when !inWord:
                    int end = text.IndexOf('\n', i);
                    if (end < 0) i = text.Length;
                    else i = end - 1;
                    break;
                case ' ' or '\t' or '\n':
                    if (inWord) words.Add(word.ToString());
                    word.Clear();
                    inWord = false;
                    break;
                default:
                    word.Append(c);
                    inWord = true;
                    break;
            }
        }
        if (inWord) words.Add(word.ToString());
        return (words, true);
    }
}
